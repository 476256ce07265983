// Package psscript holds the PowerShell scripts the Hyper-V provider runs on a host over WinRM,
// and renders one with its parameters into the text that is sent. For the provider and for the
// WinRM test server, which recognises each script it is sent by its body.
//
// A rendered script is a fixed prologue, the parameters as one base64 JSON literal (so no value
// is ever spliced into PowerShell syntax), and the script's body inside a try/catch:
//
//	$ErrorActionPreference = 'Stop'
//	$ProgressPreference = 'SilentlyContinue'
//	$in = ConvertFrom-Json ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('eyJ2bSI6Ii4uLiJ9')))
//	try {
//	<body of list_vms.ps1>
//	} catch { [Console]::Error.WriteLine($_.Exception.Message); exit 1 }
//
// A body prints its answer as one line of JSON on stdout and exits 0; it exits ExitNotFound
// when what it was asked about does not exist and ExitRefused when it will not do what it was
// asked (a pass-through disk, a folder outside the export root), with the reason on stderr.
// Scripts never carry a credential: WinRM authenticates the session, SMB the data channel.
package psscript
