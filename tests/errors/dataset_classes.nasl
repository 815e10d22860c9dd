dataset digits = mnist(dir: "digits", classes: 300)
space s { layer { relu } }
train { data: digits }
