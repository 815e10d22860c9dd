cell c { dag { nodes: 3; ops: [none, skip_connect] } }
search random { evaluator: table(file: "t.csv", column: "acc") }
