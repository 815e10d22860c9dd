# nas_rnn_small.nasl -- a small recurrent-cell search for quick experiments
#
# What it is
#   A cut-down version of the NAS recurrent-cell space (nas_rnn.nasl; Zoph &
#   Le, ICLR 2017, Section 3.4): a tree over 4 leaves instead of 8, i.e.
#   7 nodes (leaves 0-3, inner nodes 4 and 5, root 6). Each node still picks
#   add/mul and one of four activations. To make it smaller still and to show
#   the inject settings, the memory c_{t-1} may only enter at an inner node
#   (`at: [4, 5]`) and c_t is taken from the root or an inner node
#   (`memory: [4, 5, 6]`). Size: 8^7 x 8 x 2 x 3 = about 1e8 cells, against
#   about 6e16 for the full space.
#
#   Not from the paper: the recipe below is a short one so that each child
#   trains in minutes on a CPU: 2 epochs on a slice of the King James Bible
#   (Debian bible-kjv, 10,000-word vocabulary), with the same SGD settings as
#   nas_rnn.nasl. Rewards are noisy at this budget; the file is for checking
#   that the search loop works and for comparing search strategies, not for
#   finding good cells.
#
# How to use it (from the repository root)
#   naslc check  examples/nas_rnn_small.nasl
#   naslc tokens examples/nas_rnn_small.nasl   # 7 x 2 + 3 + 1 = 18 decisions
#   naslc sample examples/nas_rnn_small.nasl
#   naslc run    examples/nas_rnn_small.nasl   # stops after 30 minutes
#   Swap `search reinforce` for `search random` to get a baseline to compare.

dataset kjv = kjv(vocab: 10000)

cell small_rnn {
  tree(leaves: 4) { combine: [add, mul]; activation: [identity, tanh, sigmoid, relu] }
  inject {
    combine: [add, mul]
    activation: [identity, tanh, sigmoid, relu]
    at: [4, 5]
    memory: [4, 5, 6]
  }
}

train {
  data: kjv
  subset: 200000        # train on a slice of the corpus only
  epochs: 2
  hidden: 200
  layers: 2
  dropout: 0            # short training: no dropout
  batch: 20
  bptt: 35
  optimizer: sgd(lr: 20, momentum: 0, nesterov: false, weight_decay: 0)
  clip: 0.25
  seed: 1
}

search reinforce {
  controller: lstm(layers: 1, hidden: 35, init: 0.08)
  optimizer: adam(lr: 6e-4)
  baseline: ema(0.9)
  batch: 4
  samples: 200
  minutes: 30
  reward: 80 / (min(valid_perplexity, last: 1) ^ 2)
}
