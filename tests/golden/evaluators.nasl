# evaluators: train the children (the default) or look rewards up in a table
cell nb { dag { nodes: 3; ops: [none, skip_connect, nor_conv_3x3] } }
search reinforce { evaluator: train; samples: 16 }
