cell c { dag { nodes: 3; ops: [none, skip_connect, none] } }
