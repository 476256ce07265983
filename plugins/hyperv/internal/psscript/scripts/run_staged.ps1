# Runs the script staged by stage_chunk in file $in.file of the temporary folder, after deleting
# the file; its output and exit code are the script's. Staging files over a day old (an upload
# cut off part-way) are deleted too, so none stays on the host.
if ($in.file -notmatch '^hypersdk-stage-[a-f0-9]+\.b64$') { [Console]::Error.WriteLine("refused: staging file name $($in.file)"); exit 3 }
$f = Join-Path $env:TEMP $in.file
$text = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String([IO.File]::ReadAllText($f)))
Remove-Item -LiteralPath $f -Force
Get-ChildItem -LiteralPath $env:TEMP -Filter 'hypersdk-stage-*.b64' -File -ErrorAction SilentlyContinue |
  Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-1) } | Remove-Item -Force -ErrorAction SilentlyContinue
& ([ScriptBlock]::Create($text))
exit $LASTEXITCODE
