#!/usr/bin/env python3
"""Build the ONNX graphs that npm run bench gives onnxruntime-node: the mean log-probability of the labels.

    python3 scripts/onnx_graphs.py     # writes bench/onnx/logsoftmax_gather_mean.{float32,float64}.onnx

Inputs: logits [rows, classes] (float32 or float64; both dimensions symbolic, so one graph serves every workload
shape) and labels [rows, 1] (int64). The graph is LogSoftmax(axis 1) -> GatherElements(axis 1) -> ReduceMean over
everything, output mean_logprob (a scalar): the bench negates it to get the loss, as a user of the graph would.

Opset 17 and IR version 8 keep the files loadable by any onnxruntime from 1.14 on. Needs the onnx package
(pip install onnx); the output is deterministic, and is committed: the bench never runs Python. The bench checks
the graphs on a tiny input against a float64 reference before it times them.
"""
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'bench', 'onnx')

DTYPES = {'float32': TensorProto.FLOAT, 'float64': TensorProto.DOUBLE}


def graph(dtype):
    elem = DTYPES[dtype]
    logits = helper.make_tensor_value_info('logits', elem, ['rows', 'classes'])
    labels = helper.make_tensor_value_info('labels', TensorProto.INT64, ['rows', 1])
    out = helper.make_tensor_value_info('mean_logprob', elem, [])
    nodes = [
        helper.make_node('LogSoftmax', ['logits'], ['logprobs'], axis=1),
        helper.make_node('GatherElements', ['logprobs', 'labels'], ['picked'], axis=1),
        helper.make_node('ReduceMean', ['picked'], ['mean_logprob'], keepdims=0),
    ]
    g = helper.make_graph(nodes, f'logsoftmax_gather_mean_{dtype}', [logits, labels], [out])
    model = helper.make_model(g, producer_name='xent bench', opset_imports=[helper.make_opsetid('', 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def main():
    os.makedirs(OUT, exist_ok=True)
    for dtype in DTYPES:
        path = os.path.join(OUT, f'logsoftmax_gather_mean.{dtype}.onnx')
        with open(path, 'wb') as f:
            f.write(graph(dtype).SerializeToString())
        print(f'wrote {os.path.relpath(path)}')


if __name__ == '__main__':
    main()
