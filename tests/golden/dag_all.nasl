# NAS-Bench-201: every earlier node feeds every node
cell nb201 {
  dag { nodes: 4; edges: all; ops: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3] }
}
