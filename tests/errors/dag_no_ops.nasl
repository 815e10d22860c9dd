cell c { dag { nodes: 4 } }
