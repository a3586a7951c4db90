"""Research tools on top of the model: global sensitivity, hypothesis comparison, species translation."""
