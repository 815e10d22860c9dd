# nb201_fmnist.nasl -- the NAS-Bench-201 cell space searched for real on
# Fashion-MNIST: every child trained, then the best retrained larger
#
# What it is
#   The cell of nb201.nasl (4 nodes, 6 edges, 5 operations: 15,625 cells),
#   but trained rather than looked up: each sampled cell is built into the
#   network of NAS-Bench-201 (naslc(1), DAG networks: a 3x3 stem, three
#   stages of `cells` copies of the cell with `channels`, twice and four
#   times as many channels, residual blocks that halve the map between
#   them, global average pooling and a dense layer) and trained on
#   Fashion-MNIST. The reward is the paper's: the best validation accuracy
#   of the last epochs, cubed.
#
#   The search trains small networks briefly (8 channels, one cell per
#   stage, one epoch on 5,000 images) to rank cells; the final block
#   retrains the best with NAS-Bench-201's own size (16 channels, 5 cells
#   per stage) on all the training images.
#
# How to use it (from the repository root)
#   naslc sample examples/nb201_fmnist.nasl > cell.json
#   naslc show   examples/nb201_fmnist.nasl --arch cell.json   # its network
#   naslc run    examples/nb201_fmnist.nasl --dir runs/nb201_fmnist
#   naslc report runs/nb201_fmnist
#   The search stops after `minutes: 30` (or its samples); the final
#   training takes longer: the network has 15 cells.

dataset fashion = fashion_mnist()

cell nb201 {
  dag { nodes: 4; edges: all; ops: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3] }
}

train {
  data: fashion
  subset: 6000
  valid: 1000
  epochs: 1
  batch: 64
  optimizer: sgd(lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5e-4)
  channels: 8
  cells: 1
}

search reinforce {
  controller: lstm(layers: 2, hidden: 35, init: 0.08)
  optimizer: adam(lr: 6e-4)
  baseline: ema(0.95)
  batch: 8
  samples: 400
  minutes: 30
  reward: max(valid_accuracy, last: 1) ^ 3
}

final {
  top: 1
  subset: 0
  valid: 5000
  epochs: 10
  schedule: cosine
  crop: 2
  flip: true
  channels: 16
  cells: 5
}
