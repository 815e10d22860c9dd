# shared_rnn.nasl -- a shared-weight search of recurrent cells on the King
# James Bible, then a final training of the cell it found
#
# What it is
#   The NAS recurrent-cell space (Zoph & Le, ICLR 2017, Section 3.4; see
#   nas_rnn.nasl): a tree over 8 leaves whose every node picks add or mul
#   and one of four activations, and the memory cell injected at a node
#   the controller picks. Searched the way ENAS (Pham et al., 2018)
#   searched its recurrent cells: every child's language model takes its
#   weights from one shared store (`evaluator: shared`), which the search
#   trains as it goes -- 100 segments of truncated BPTT (20 streams x 35
#   words) before each batch of 8 samples, each segment with a cell the
#   controller draws -- and a sample's reward is the paper's 80 / ppl^2
#   on the first 20,000 validation words under the store. After the
#   search, 20 cells drawn from the trained controller are ranked on the
#   whole validation split and the best is trained from scratch by the
#   final block and tested.
#
#   Data: Debian's bible-kjv (the King James text, about 820,000 words;
#   10,000-word vocabulary, the rest <unk>), split by the kjv loader.
#   The numbers are our choices, not the paper's (Penn Treebank, 1,400
#   hidden units, weeks of GPU time). README.md has what it measured.
#
# How to use it (from the repository root)
#   naslc tokens examples/shared_rnn.nasl
#   naslc run    examples/shared_rnn.nasl --dir runs/shared_rnn
#   naslc report runs/shared_rnn
#   The search stops after `minutes: 40`; the final training then takes
#   about 9 minutes (6 epochs).

dataset kjv = kjv(vocab: 10000)

cell shared_rnn {
  tree(leaves: 8) { combine: [add, mul]; activation: [identity, tanh, sigmoid, relu] }
  inject { combine: [add, mul]; activation: [identity, tanh, sigmoid, relu] }
}

# the shared weights: trained with this recipe, segment by segment
train {
  data: kjv
  hidden: 200
  layers: 1
  dropout: 0.1
  batch: 20
  bptt: 35
  # lr 2: at 10 the mean shared loss stalled near 8 (6.6 at 2 after 10 rounds)
  optimizer: sgd(lr: 2, momentum: 0, nesterov: false, weight_decay: 0)
  clip: 0.25
  # each stream's h and c scaled back to norm 25 after every step, as ENAS
  # does: without it, cells of mul and identity nodes blow the shared
  # state up to infinity within a few rounds
  clip_state: 25
  seed: 1
}

search reinforce {
  controller: lstm(layers: 1, hidden: 64, init: 0.1)
  optimizer: adam(lr: 3.5e-4)
  baseline: ema(0.95)
  batch: 8
  samples: 4000
  minutes: 40
  entropy: 1e-4
  tanh_constant: 2.5
  evaluator: shared(steps: 100, valid: 20000, rank: 20)
  reward: 80 / (min(valid_perplexity, last: 1) ^ 2)
}

final {
  # the LSTM reference's recipe (examples/lstm_cell.nasl), with hidden 180:
  # the tree's 8 + 8 projections per layer then give the LSTM's 4.65M
  # parameters, as NASCell's do (examples/nascell.nasl); it inherits the
  # train block's clip_state: 25, which the LSTM reference does not have
  top: 1
  epochs: 6
  batch: 20
  bptt: 35
  hidden: 180
  layers: 2
  dropout: 0.2
  optimizer: sgd(lr: 20, momentum: 0, nesterov: false, weight_decay: 0)
  schedule: step(every: 3, gamma: 0.25)
  clip: 0.25
}
