# numbers in every usual form, and arithmetic on constants
space s { layer { dropout(rate: [.5, 1e-1, 2.5E-1, 0.75]); conv2d(filters: 0x10) } }
train { epochs: 2; optimizer: sgd(lr: 0.1 / 4, momentum: 9e-1, weight_decay: 1e-4) }
search random { samples: 1e3; minutes: 2.5 }
