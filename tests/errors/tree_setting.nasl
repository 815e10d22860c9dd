cell c { tree(leaves: 2) { combiner: [add] } }
