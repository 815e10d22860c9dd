# nb201.nasl -- the NAS-Bench-201 cell space, searched against a lookup table
#
# What it is
#   The cell space of NAS-Bench-201 (Dong & Yang, "NAS-Bench-201: Extending
#   the Scope of Reproducible Neural Architecture Search", ICLR 2020), which is
#   also the topology search space ("TSS") of NATS-Bench (Dong et al., TPAMI
#   2021). A cell is a DAG of 4 nodes: node 0 is the cell input, and every
#   later node sums one edge from each earlier node, so there are 6 edges.
#   Each edge carries one of 5 operations: none (no edge), skip_connect,
#   1x1 convolution, 3x3 convolution, 3x3 average pooling. That gives
#   5^6 = 15,625 cells; the benchmark trained every one of them.
#
# The table evaluator
#   Because every cell was trained in advance, a search does not have to train
#   anything: `evaluator: table(...)` looks the sampled cell up in a CSV file,
#   and `reward: table` uses the looked-up value as the reward. The file
#   data/nats-bench-201-tss.csv at the top of the source tree (not shipped; the
#   path is relative to this file; export it from the NATS-Bench
#   topology-space data, one row per cell, keyed the way naslc's table
#   evaluator expects) must hold the column
#   CIFAR10TestAccuracy200Epochs: CIFAR-10 test accuracy (%) after the full
#   200-epoch training. The best cell in the space scores 94.37 on it, so a
#   search's best reward can be read directly against that optimum. (Using a
#   test-set column as the reward is what benchmark papers do to study search
#   algorithms; it is not a fair way to pick a model.)
#   500 samples is about 3% of the space; compare with `search random` to see
#   what REINFORCE buys.
#
# How to use it (from the repository root)
#   naslc check  examples/nb201.nasl
#   naslc tokens examples/nb201.nasl    # 6 decisions: node[i].edge[j]
#   naslc sample examples/nb201.nasl
#   naslc run    examples/nb201.nasl    # seconds: table look-ups only; put
#                                       # the CSV where `file:` points

cell nb201 {
  dag { nodes: 4; edges: all; ops: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3] }
}

search reinforce {
  controller: lstm(layers: 2, hidden: 35, init: 0.08)
  optimizer: adam(lr: 6e-4)
  baseline: ema(0.95)
  batch: 8
  samples: 500
  evaluator: table(file: "../data/nats-bench-201-tss.csv", column: "CIFAR10TestAccuracy200Epochs")
  reward: table
  seed: 1
}
