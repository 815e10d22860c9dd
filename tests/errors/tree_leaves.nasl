cell c { tree(leaves: 3) { } }
