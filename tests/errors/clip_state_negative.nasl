cell c { tree(leaves: 2) { combine: [add]; activation: [tanh] } }
train { clip_state: -1 }
