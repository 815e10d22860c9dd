cell c {
  tree(leaves: 2) { combine: [add, mul]; activation: [tanh, relu] }
}
search reinforce { evaluator: shared(steps: 10) }
