# darts.nasl -- the DARTS cell search space, as a discrete space
#
# What it is
#   The convolutional cell space of DARTS (Liu, Simonyan & Yang, "DARTS:
#   Differentiable Architecture Search", ICLR 2019, CIFAR-10 cells). A
#   cell has 2 input nodes (outputs of the two previous cells) and 4
#   intermediate nodes; the cell output is the concatenation of the 4
#   intermediate nodes (`output: concat`). Edge operations: none (zero),
#   3x3 max pooling, 3x3 average pooling, identity (skip_connect), 3x3 and 5x5
#   separable convolutions, 3x3 and 5x5 dilated separable convolutions.
#   DARTS itself relaxes every edge into a softmax mixture of all 8 ops and
#   trains that supernet by gradient descent; at the end it keeps, for each
#   node, the 2 strongest incoming edges with their strongest non-zero op.
#   This file describes that final, discrete form -- 2 inputs and 2 ops per
#   node -- so the REINFORCE controller or random search can sample from it.
#   Unlike DARTS's final step, `none` stays a legal choice here, so a node
#   may end up with one or no live input.
#   Paper facts: the second-order DARTS cell reached 2.76% (+-0.09) test error
#   on CIFAR-10 with 3.3M parameters (with cutout), after 4 GPU-days of search.
#
# Status in naslc
#   Every command handles this space. A sampled cell is trained inside the
#   network of naslc(1), DAG networks (a stem, three stages of cells, fixed
#   residual blocks where ENAS and DARTS search a reduction cell), with the
#   default recipe: there is no train or search block here, so give one
#   (`channels`, `cells`, epochs...) before a real search, or try a cell:
#     naslc sample examples/darts.nasl > cell.json
#     naslc train  examples/darts.nasl --arch cell.json --epochs 1 --subset 5000
#
# How to use it (from the repository root)
#   naslc check  examples/darts.nasl
#   naslc tokens examples/darts.nasl   # 4 nodes x (2 inputs + 2 ops) = 16
#   naslc sample examples/darts.nasl

cell darts {
  dag {
    inputs: 2
    nodes: 6
    edges: 2
    ops: [none, max_pool_3x3, avg_pool_3x3, skip_connect, sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5]
    output: concat
  }
}
