/// A validated directed acyclic graph of steps: unique ids, every dependency present, no cycles.
///
/// Steps keep the order they were given in (used for stable scheduling and rendering);
/// ``topologicalOrder`` gives an order in which every step follows its dependencies.
public struct Plan: Sendable, Codable, Hashable {
    /// The steps, in the order given.
    public let steps: [StepSpec]
    /// Positions of each step in ``steps``, by id.
    public let index: [String: Int]

    /// Validates `steps` into a plan, or throws ``WorkflowError/Code/invalidPlan`` naming the offender.
    public init(steps: [StepSpec]) throws(WorkflowError) {
        var index: [String: Int] = [:]
        index.reserveCapacity(steps.count)
        for (position, step) in steps.enumerated() {
            if step.id.isEmpty {
                throw WorkflowError(code: .invalidPlan, message: "step #\(position + 1) has an empty id")
            }
            if index.updateValue(position, forKey: step.id) != nil {
                throw WorkflowError(
                    code: .invalidPlan, message: "duplicate step id '\(step.id)': every step id must be unique")
            }
        }
        for step in steps {
            for dependency in step.dependsOn where index[dependency] == nil {
                throw WorkflowError(
                    code: .invalidPlan,
                    message: "step '\(step.id)' depends on '\(dependency)', which is not in the plan")
            }
        }
        if let cycle = Plan.findCycle(steps: steps, index: index) {
            throw WorkflowError(
                code: .invalidPlan, message: "dependency cycle: \(cycle.joined(separator: " -> "))")
        }
        self.steps = steps
        self.index = index
    }

    /// The step with `id`, if any.
    public subscript(id: String) -> StepSpec? {
        index[id].map { steps[$0] }
    }

    /// Step ids ordered so that every step comes after all of its dependencies (stable in plan order).
    public var topologicalOrder: [String] {
        var remaining = steps.map(\.dependsOn.count)
        let dependents = dependentPositions
        var ready = steps.indices.filter { remaining[$0] == 0 }
        var order: [String] = []
        order.reserveCapacity(steps.count)
        var cursor = 0
        while cursor < ready.count {
            let position = ready[cursor]
            cursor += 1
            order.append(steps[position].id)
            for dependent in dependents[position] {
                remaining[dependent] -= 1
                if remaining[dependent] == 0 { ready.append(dependent) }
            }
        }
        return order
    }

    /// For each step position, the positions of the steps that depend on it.
    var dependentPositions: [[Int]] {
        var dependents = Array(repeating: [Int](), count: steps.count)
        for (position, step) in steps.enumerated() {
            for dependency in step.dependsOn {
                dependents[index[dependency]!].append(position)
            }
        }
        return dependents
    }

    private enum Mark { case unvisited, visiting, done }

    /// Iterative depth-first search; returns the cycle's path (first id repeated at the end) if any.
    private static func findCycle(steps: [StepSpec], index: [String: Int]) -> [String]? {
        var marks = Array(repeating: Mark.unvisited, count: steps.count)
        for root in steps.indices where marks[root] == .unvisited {
            // Stack of (position, next dependency to visit).
            var stack: [(position: Int, next: Int)] = [(root, 0)]
            marks[root] = .visiting
            while let top = stack.last {
                let step = steps[top.position]
                if top.next < step.dependsOn.count {
                    stack[stack.count - 1].next += 1
                    let child = index[step.dependsOn[top.next]]!
                    switch marks[child] {
                    case .visiting:
                        let start = stack.firstIndex { $0.position == child }!
                        // Dependencies point backwards in time, so print the path in execution order.
                        let path = stack[(start + 1)...].map { steps[$0.position].id }
                        return [steps[child].id] + Array(path.reversed()) + [steps[child].id]
                    case .unvisited:
                        marks[child] = .visiting
                        stack.append((child, 0))
                    case .done:
                        break
                    }
                } else {
                    marks[top.position] = .done
                    stack.removeLast()
                }
            }
        }
        return nil
    }

    private enum CodingKeys: String, CodingKey { case steps }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(steps: container.decode([StepSpec].self, forKey: .steps))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(steps, forKey: .steps)
    }
}
