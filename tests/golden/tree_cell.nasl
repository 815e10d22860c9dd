# a 2-leaf NAS-RNN tree with memory injection at node 0
cell small {
  tree(leaves: 2) { combine: [add, mul]; activation: [tanh, relu] }
  inject { combine: add; activation: [identity, tanh]; at: 0 }
}
