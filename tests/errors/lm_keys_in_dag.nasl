cell c {
  dag { nodes: 4; edges: all; ops: [none, skip_connect, nor_conv_3x3] }
}
train { hidden: 100; channels: 8; crop: 2 }
