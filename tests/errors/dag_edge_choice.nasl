cell c { dag { nodes: 3; ops: [conv2d(height: [1, 3])] } }
