# nascell.nasl -- the recurrent cell found by Neural Architecture Search ("NASCell")
#
# What it is
#   The cell discovered by Zoph & Le, "Neural Architecture Search with
#   Reinforcement Learning" (ICLR 2017), Section 4.2, written as a fixed
#   NASL cell. It is one point of the space in nas_rnn.nasl: a base-8 tree
#   where
#     - the 8 leaves merge x_t and h_{t-1} projections, 7 by addition and one
#       (l1_3) by multiplication, with sigmoid/ReLU/tanh activations;
#     - four level-2 nodes merge pairs of leaves;
#     - the memory c_{t-1} is injected at l2_0 (added, then tanh);
#     - c_t is the pre-activation of the level-3 node l3_0 (identity);
#     - the root h_t = tanh(l3_0 * l3_1).
#   Paper results on Penn Treebank: 64.0 test perplexity with 25M parameters
#   and 62.4 with 54M, better than the LSTM-based models it compared against.
#
# Where the equations come from
#   They match the NASCell of TensorFlow (tf.contrib.rnn.NASCell, later
#   tensorflow_addons.rnn.NASCell), which projects x_t and h_{t-1} into 8
#   chunks each; in NASL every occurrence of `x` and `h` is its own projection,
#   i.e. one such chunk. Node names follow that implementation (l1_k, l2_k,
#   l3_k); l2_0c is l2_0 after the memory injection.
#   In nas_rnn.nasl's numbering (leaves 0-7, level 2 = nodes 8-11, level 3 =
#   nodes 12-13, root 14) this is inject.at = 8 with add/tanh and
#   memory.from = 12, whose own activation is identity.
#
# How to use it (from the repository root)
#   naslc check  examples/nascell.nasl
#   naslc tokens examples/nascell.nasl   # empty: nothing to decide
#   naslc run    examples/nascell.nasl   # train it on the KJV corpus
#   Compare with lstm_cell.nasl, which uses the same recipe with hidden 200
#   (this cell has twice the LSTM's projections, so hidden 180 gives the
#   same 4.65M parameters).

dataset kjv = kjv(vocab: 10000)

cell nascell {
  # level 1: the 8 leaves
  l1_0 = sigmoid(add(x, h))
  l1_1 = relu(add(x, h))
  l1_2 = sigmoid(add(x, h))
  l1_3 = relu(mul(x, h))
  l1_4 = tanh(add(x, h))
  l1_5 = sigmoid(add(x, h))
  l1_6 = tanh(add(x, h))
  l1_7 = sigmoid(add(x, h))

  # level 2
  l2_0 = tanh(mul(l1_0, l1_1))
  l2_1 = tanh(add(l1_2, l1_3))
  l2_2 = tanh(mul(l1_4, l1_5))
  l2_3 = sigmoid(add(l1_6, l1_7))

  # memory injection into l2_0
  l2_0c = tanh(add(l2_0, c))

  # level 3: l3_0 is kept without activation and becomes c_t
  l3_0 = mul(l2_0c, l2_1)
  l3_1 = tanh(add(l2_2, l2_3))

  # root
  h_new = tanh(mul(l3_0, l3_1))

  memory: l3_0
  output: h_new
}

train {
  data: kjv
  epochs: 6
  batch: 20
  bptt: 35
  hidden: 180            # 16 projections per layer: 180 gives the LSTM's 4.65M parameters
  layers: 2
  dropout: 0.2
  optimizer: sgd(lr: 20, momentum: 0, nesterov: false, weight_decay: 0)
  schedule: step(every: 3, gamma: 0.25)
  clip: 0.25
}
