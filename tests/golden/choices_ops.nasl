# a choice between operations, one with its own decision
space s {
  layer { [relu, tanh, conv2d(filters: [8, 16])] }
}
