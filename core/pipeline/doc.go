// Package pipeline is what a job does: its plan and its steps. Plan turns a request's
// choices into an ordered list of named steps, once, when the job is accepted; Steps maps each
// name to a small type with Run and Cleanup — export, verify, package, convert, import,
// hyper2kvm, hand-off, drop-export — that share one State (the job's request, what earlier
// steps produced, and the daemon's parts they use).
//
// core/jobs owns the queue, the workers, the job's state machine, progress and logs; it runs a
// plan's steps in order from the first not done, commits each step's state as it starts and
// ends, and on a failure runs the step's Cleanup (and that of the earlier step it spoils, which
// runs again). It does not know what a step does.
//
// A worked example, Pattern 1 (auto_convert with an import block):
//
//	plan, _ := pipeline.Plan(pipeline.Choices{Hyper2KVM: true, AutoConvert: true, Import: true, KeepExport: true})
//	// plan: export → verify → package → convert → import
//	for _, name := range plan {
//		def := pipeline.Steps[name] // the job sets its stage to def.Stage, then:
//		if _, err := def.Run(ctx, st); err != nil {
//			def.Cleanup(st) // import failing: convert's cleanup too (def.Redo), which runs again
//		}
//	}
//
// Adding a step is one file with its type, a line in Steps and one in Plan.
// docs/pipeline.md shows the plan of each kind of job.
package pipeline
