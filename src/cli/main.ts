import { demo } from './demo.js';

const HELP = `xent — the cross-entropy family, on WebAssembly SIMD

Usage:
  xent demo              the worked examples of the cross-entropy family and a quick speed comparison
  xent --help | --version
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '--version') {
    process.stdout.write(`${__XENT_VERSION__}\n`);
    return 0;
  }
  if (command === 'demo') {
    await demo((line) => process.stdout.write(line + '\n'));
    return 0;
  }
  process.stderr.write(`xent: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  return 2;
}

declare const __XENT_VERSION__: string;
process.exitCode = await main(process.argv.slice(2));
