/**
 * Column names that say what a column holds, as the usual writers spell them (pandas, PyTorch and Hugging Face
 * scripts, scikit-learn tutorials). Compared in lower case.
 */

/** A row index or an id: skipped, with a note. `unnamed: 0` is pandas re-reading a CSV it wrote with its index. */
const INDEX_NAMES = new Set([
  '', 'index', 'idx', 'id', 'ids', 'row', 'row_id', 'rowid', 'row_index', 'sample_id', 'example_id', 'uid', 'guid',
  '__index_level_0__', 'level_0',
]);
export const isIndexName = (name: string): boolean => INDEX_NAMES.has(name.trim().toLowerCase()) || /^unnamed: \d+$/i.test(name.trim());

/** The labels. */
export const LABEL_NAMES = ['label', 'labels', 'target', 'targets', 'y', 'y_true', 'true_label', 'class', 'gold', 'answer'];

/** The predictions, and whether the name says probabilities (true), logits (false) or neither (null). */
export const PRED_NAMES: Record<string, boolean | null> = {
  logits: false, logit: false, scores: null, score: null, predictions: null, prediction: null, preds: null, pred: null,
  y_pred: null, output: null, outputs: null, probs: true, prob: true, probabilities: true, probability: true,
  proba: true, y_proba: true, y_prob: true, softmax: true,
};

export const lower = (s: string | null): string => (s ?? '').trim().toLowerCase();
