cell c { tree(leaves: 2) { } inject { at: 3 } }
