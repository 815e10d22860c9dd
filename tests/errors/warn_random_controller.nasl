space s { layer { relu } }
search random { controller: lstm(hidden: 64); samples: 100 }
