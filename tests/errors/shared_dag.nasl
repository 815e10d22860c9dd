cell c {
  dag { nodes: 4; edges: all; ops: [none, skip_connect, nor_conv_3x3] }
}
search reinforce { evaluator: shared(steps: 10) }
