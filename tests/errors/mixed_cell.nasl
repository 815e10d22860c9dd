cell c { tree(leaves: 2) { } dag { nodes: 3; ops: [none] } }
