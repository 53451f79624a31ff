print("jumpchain")
