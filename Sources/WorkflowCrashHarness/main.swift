// Placeholder until the workflow engine lands.
print("workflow crash harness")
