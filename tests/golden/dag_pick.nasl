# ENAS-style: each node picks two inputs and an op for each
cell enas {
  dag { inputs: 2; nodes: 4; edges: 2; ops: [skip_connect, sep_conv_3x3, max_pool_3x3]; output: unused }
}
