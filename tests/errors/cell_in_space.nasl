space s { tree(leaves: 2) { } }
