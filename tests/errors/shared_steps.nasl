space s { layer { conv2d(filters: [4, 8]) } }
search reinforce { evaluator: shared(steps: 0, valid: 100) }
