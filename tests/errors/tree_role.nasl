cell c { tree(leaves: 2) { activation: [relu, add] } }
