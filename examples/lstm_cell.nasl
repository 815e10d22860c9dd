# lstm_cell.nasl -- the standard LSTM written as a fixed NASL cell
#
# What it is
#   The classic LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of
#   Gers et al. 2000, as used by Zaremba et al. 2014) spelled out node by
#   node: forget gate f, input gate i, candidate g and output gate o, each
#   from its own projections of x_t and h_{t-1}; the new memory
#   c_t = f*c_{t-1} + i*g; the output h_t = o*tanh(c_t). It has no choices, so it is the human-designed baseline
#   that the NAS recurrent search (nas_rnn.nasl) is measured against, and a
#   reference for the fixed-cell syntax. The cell is the example from the
#   NASL spec, unchanged.
#
# Where it comes from
#   In Zoph & Le (ICLR 2017) the LSTM is the baseline of the Penn Treebank
#   comparison (Section 4.2); their searched cell is in nascell.nasl. Here the
#   corpus is the King James Bible (Debian bible-kjv) with a 10,000-word
#   vocabulary, since Penn Treebank cannot be fetched on this machine.
#
# How to use it (from the repository root)
#   naslc check  examples/lstm_cell.nasl
#   naslc tokens examples/lstm_cell.nasl   # empty: nothing to decide
#   naslc sample examples/lstm_cell.nasl   # always the same cell
#   naslc run    examples/lstm_cell.nasl   # train it once with the recipe
#                                          # below (no search block)

dataset kjv = kjv(vocab: 10000)

cell lstm {
  f = sigmoid(add(x, h)); i = sigmoid(add(x, h)); g = tanh(add(x, h)); o = sigmoid(add(x, h))
  c_new = add(mul(f, c), mul(i, g))
  h_new = mul(o, tanh(c_new))
  memory: c_new        # c_t
  output: h_new        # h_t (default: the last node)
}

# Word-level language-model recipe: plain SGD, lr 20, clip 0.25, batch 20,
# 35-step BPTT (the PyTorch word-language-model example's settings).
train {
  data: kjv
  epochs: 6
  batch: 20
  bptt: 35
  hidden: 200            # 4.65M parameters in all (2 layers, 10,000 words)
  layers: 2
  dropout: 0.2
  optimizer: sgd(lr: 20, momentum: 0, nesterov: false, weight_decay: 0)
  schedule: step(every: 3, gamma: 0.25)
  clip: 0.25
}
