# enas_micro.nasl -- the ENAS micro (cell) search space
#
# What it is
#   The convolutional cell space of ENAS (Pham, Guan, Zoph, Le & Dean,
#   "Efficient Neural Architecture Search via Parameter Sharing", ICML 2018,
#   the "micro" search), itself a variant of the NASNet space. A cell
#   has 2 input nodes (the outputs of the two previous cells) and 5 computed
#   nodes. Each computed node picks 2 earlier nodes as inputs and one
#   operation for each of them, and sums the two results. Operations:
#   identity (skip_connect here), 3x3 and 5x5 separable convolutions, 3x3
#   average and max pooling. The cell output concatenates the computed nodes
#   that no other node used (`output: unused`).
#   ENAS searches a normal cell and a reduction cell of this same form; this
#   file describes one cell; the network stacking normal and reduction cells
#   is left to the runtime.
#   Paper facts: on CIFAR-10 the ENAS micro cell reached 2.89% test error with
#   4.6M parameters (with cutout), after well under a GPU-day of search thanks
#   to weight sharing between children.
#
# Status in naslc
#   Every command handles this space. A sampled cell is trained inside the
#   network of naslc(1), DAG networks (a stem, three stages of cells, fixed
#   residual blocks where ENAS and DARTS search a reduction cell), with the
#   default recipe: there is no train or search block here, so give one
#   (`channels`, `cells`, epochs...) before a real search, or try a cell:
#     naslc sample examples/enas_micro.nasl > cell.json
#     naslc train  examples/enas_micro.nasl --arch cell.json --epochs 1 --subset 5000
#
# How to use it (from the repository root)
#   naslc check  examples/enas_micro.nasl
#   naslc tokens examples/enas_micro.nasl   # 5 nodes x (2 inputs + 2 ops)
#                                           # = 20 decisions
#   naslc sample examples/enas_micro.nasl

cell enas_micro {
  dag {
    inputs: 2
    nodes: 7
    edges: 2
    ops: [skip_connect, sep_conv_3x3, sep_conv_5x5, avg_pool_3x3, max_pool_3x3]
    output: unused
  }
}
