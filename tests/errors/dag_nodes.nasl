cell c { dag { inputs: 2; nodes: 2; ops: [skip_connect] } }
