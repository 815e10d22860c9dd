# nas_rnn.nasl -- the NAS recurrent-cell search space (base 8 tree)
#
# What it is
#   The recurrent-cell space of Zoph & Le, "Neural Architecture Search with
#   Reinforcement Learning" (ICLR 2017), Section 3.4 and the Penn Treebank
#   experiments of Section 4.2. A cell is a binary tree over 8 leaves. Each
#   leaf merges a projection of the input x_t with a projection of the previous
#   output h_{t-1}; each inner node merges its two children; every node picks
#   its merge (add or multiply) and its activation (identity, tanh, sigmoid,
#   ReLU). A memory state c plays the role of the LSTM cell: the controller
#   chooses the node where c_{t-1} is injected (and how it is merged and
#   activated there) and the node whose pre-activation value becomes c_t.
#   The root of the tree is h_t.
#
# Size
#   15 nodes x (2 merges x 4 activations) = 8^15, times 8 for the injection's
#   merge and activation, times 15 x 15 for where c enters and where c_t is
#   taken: 8^16 x 225, about 6.3e16 cells -- the paper quotes roughly 6 x 10^16.
#
# Where it comes from / paper facts
#   The paper's reward for a child is c / (validation perplexity)^2 with c = 80;
#   we use the final epoch's validation perplexity. The cell it found
#   (nascell.nasl) reached 62.4 test perplexity on Penn Treebank (64.0 at 25M
#   parameters), beating the LSTM baselines of the time.
#   Penn Treebank cannot be downloaded here, so the default corpus is the King
#   James Bible (Debian package bible-kjv), loaded with a 10,000-word
#   vocabulary like PTB's. Numbers are therefore not comparable with the paper.
#
# Child training recipe (ours, not the paper's)
#   Plain SGD at lr 20 with gradient-norm clipping at 0.25, batch 20, 35-step
#   truncated backprop -- the well-known recipe of the PyTorch word-language-
#   model example -- with the learning rate quartered every 3 epochs. The
#   language model takes the recipe defaults: 2 layers of hidden size 200,
#   embedding 200, dropout 0.2 (see nasl(5), train).
#
# How to use it (from the repository root)
#   naslc check  examples/nas_rnn.nasl
#   naslc tokens examples/nas_rnn.nasl   # 34 decisions: 15 x (combine,
#                                        # activation) + inject + memory
#   naslc sample examples/nas_rnn.nasl
#   naslc run    examples/nas_rnn.nasl   # long on a CPU: try
#                                        # nas_rnn_small.nasl first

dataset kjv = kjv(vocab: 10000)

cell nas_rnn {
  tree(leaves: 8) { combine: [add, mul]; activation: [identity, tanh, sigmoid, relu] }
  inject { combine: [add, mul]; activation: [identity, tanh, sigmoid, relu] }
}

train {
  data: kjv
  epochs: 6
  batch: 20
  bptt: 35
  optimizer: sgd(lr: 20, momentum: 0, nesterov: false, weight_decay: 0)
  schedule: step(every: 3, gamma: 0.25)
  clip: 0.25
}

search reinforce {
  controller: lstm(layers: 2, hidden: 35, init: 0.08)
  optimizer: adam(lr: 6e-4)
  baseline: ema(0.95)
  batch: 8
  samples: 2000
  reward: 80 / (min(valid_perplexity, last: 1) ^ 2)
}
