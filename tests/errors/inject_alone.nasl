cell c { inject { } }
