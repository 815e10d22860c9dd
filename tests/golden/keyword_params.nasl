# words that are keywords elsewhere serve as parameter names
op stacked(layers: int in 1..4 = 1 "repeats", every: int = 2) : layer "a layer with keyword-named parameters"
space s { layer { stacked(layers: [1, 2], every: 3) } }
search reinforce { controller: lstm(layers: 1, hidden: 16); batch: 2; samples: 10 }
