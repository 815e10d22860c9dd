# shared_micro.nasl -- ENAS's micro (cell) search with shared weights, on
# Fashion-MNIST, then a final training of the cell it found
#
# What it is
#   The cell space of examples/enas_micro.nasl (2 inputs, 5 computed nodes,
#   each summing 2 edges picked from earlier nodes, with identity, 3x3 and
#   5x5 separable convolutions, 3x3 average and max pooling), searched the
#   way ENAS did (Pham et al., 2018): every child's network takes its
#   weights from one shared store (`evaluator: shared`), with one tensor per
#   (cell copy, edge, operation), which the search trains as it goes -- 100
#   batches before each batch of 8 samples, each batch with a cell the
#   controller draws -- and a sample's reward is its accuracy on 500
#   validation images under the store. After the search, 10 cells drawn
#   from the trained controller are ranked on the whole validation split
#   and the best is trained from scratch in a larger network (the final
#   block's channels and cells) and tested.
#
#   The network around the cell is naslc's (naslc(1), DAG networks): a
#   stem, three stages of `cells` copies of the cell, fixed residual blocks
#   where ENAS searches a second, reduction cell. The numbers are our
#   choices for 2 cores, not the paper's (CIFAR-10, 20 cells of 36
#   channels, a GPU).
#
# Status
#   Tested at small size (tests/shared.sh: the search, the ranking, the
#   final training, kill -9 and --resume). The 60-minute run below has not
#   been measured yet.
#
# How to use it (from the repository root)
#   naslc tokens examples/shared_micro.nasl
#   naslc run    examples/shared_micro.nasl --dir runs/micro
#   naslc report runs/micro

dataset fashion = fashion_mnist()

cell micro {
  dag {
    inputs: 2
    nodes: 7
    edges: 2
    ops: [skip_connect, sep_conv_3x3, sep_conv_5x5, avg_pool_3x3, max_pool_3x3]
    output: unused
  }
}

# the shared weights: trained with this recipe, batch by batch
train {
  data: fashion
  channels: 8
  cells: 1
  valid: 5000
  batch: 64
  optimizer: sgd(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 1e-4)
  crop: 2
  flip: true
  clip: 5
}

search reinforce {
  controller: lstm(layers: 1, hidden: 64, init: 0.1)
  optimizer: adam(lr: 3.5e-4)
  baseline: ema(0.95)
  batch: 8
  samples: 2400
  minutes: 60
  entropy: 1e-4
  tanh_constant: 2.5
  evaluator: shared(steps: 100, valid: 500, rank: 10)
  reward: last(valid_accuracy)
}

final {
  top: 1
  channels: 16
  cells: 2
  epochs: 20
  optimizer: sgd(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5e-4)
  schedule: cosine
  crop: 2
  flip: true
}
