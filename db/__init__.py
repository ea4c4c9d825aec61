"""Tables, the engine and the migrations app: the one place the schema lives."""
