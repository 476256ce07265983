# Appends $in.chunk, a piece of the base64 text of a script too long for one command line, to
# file $in.file in the temporary folder; run_staged runs the whole once every piece is there.
if ($in.file -notmatch '^hypersdk-stage-[a-f0-9]+\.b64$') { [Console]::Error.WriteLine("refused: staging file name $($in.file)"); exit 3 }
$f = Join-Path $env:TEMP $in.file
[IO.File]::AppendAllText($f, $in.chunk)
[Console]::Out.WriteLine((ConvertTo-Json -InputObject ([ordered]@{ staged = (Get-Item -LiteralPath $f).Length }) -Compress))
