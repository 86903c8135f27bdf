#!/usr/bin/env bash
# ursa_test_pipeline.sh: a small stand-in for the DayOA Snakemake pipeline, on a real Slurm.
#
# Run it from the run's pipeline dir (Ursa's launcher does, inside tmux). It reads
# config/units.tsv (tab-separated; header: sample_id unit r1 r2; r1/r2 absolute paths) and,
# per sample, submits one Slurm job per rule, chained with afterok; samples run in parallel.
#
# Environment:
#   URSA_GENOME_BUILD      results/day/<build>/...                      (default hg38)
#   URSA_TEST_RULES        the rules, in order                          (default "align call")
#   URSA_TEST_SLEEP        seconds each job sleeps                      (default 2)
#   URSA_TEST_FAIL_SAMPLE  a sample whose first rule dies like an OOM kill (exit 137)
#   URSA_TEST_POLL         seconds between squeue polls                 (default 1)
#
# Outputs: results/day/<build>/<sample>/<sample>.cram (align), <sample>.snv.sort.vcf.gz (call),
# <sample>.<rule>.out (other rules); benchmarks/<rule>.bench.tsv per sample; Slurm logs in
# logs/slurm/<rule>/<rule>.<sample>.<jobid>.{out,err}; then
# results/day/<build>/other_reports/rules_benchmark_data_singleton.tsv and one marker:
# daylily.successful_run (exit 0, every job COMPLETED) or daylily.failed_run (exit 1).
# Like Snakemake, a rule whose output already exists is not run again (a retry in the same
# dir reruns only what is missing). Dependents that can never run are scancelled. SIGINT,
# SIGTERM or SIGHUP (its tmux session killed) scancels every job this run submitted and exits
# 130.
#
# Progress on stdout mimics Snakemake: "Submitted job N with external jobid 'ID'.",
# "Finished job N.", "N of M steps (P%) done", "Error in rule R:".
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
BUILD=${URSA_GENOME_BUILD:-hg38}
RESULTS="results/day/$BUILD"
UNITS=config/units.tsv
UNITS_HEADER=$'sample_id\tunit\tr1\tr2'
OOM_EXIT=137

die() {
  echo "ursa_test_pipeline: $*" >&2
  exit 2
}

stamp() { printf '\n[%s]\n' "$(date '+%a %b %d %H:%M:%S %Y')"; }

# A token for the /bin/sh that runs `sbatch --wrap`: POSIX single quotes.
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

output_of() { # RULE SAMPLE: the file a rule leaves behind
  case $1 in
    align) printf '%s/%s/%s.cram' "$RESULTS" "$2" "$2" ;;
    call) printf '%s/%s/%s.snv.sort.vcf.gz' "$RESULTS" "$2" "$2" ;;
    *) printf '%s/%s/%s.%s.out' "$RESULTS" "$2" "$2" "$1" ;;
  esac
}

checksum() { printf '%s' "$1" | cksum | cut -d' ' -f1; }

# --- one Slurm job (the script calls itself: `ursa_test_pipeline.sh __job ...`) -------------

write_output() { # RULE SAMPLE FILE
  local tmp="$3.tmp"
  case $1 in
    align) printf 'CRAM\003\000 ursa test alignment of %s\n' "$2" >"$tmp" ;;
    call) printf '##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t%s\n' \
      "$2" | gzip -nc >"$tmp" ;;
    *) printf '%s done for %s\n' "$1" "$2" >"$tmp" ;;
  esac
  mv "$tmp" "$3"
}

append_benchmark() { # RULE SAMPLE STARTED
  local file="$RESULTS/$2/benchmarks/$1.bench.tsv" n s
  n=$(checksum "$2/$1")
  s=$(awk -v a="$3" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')
  mkdir -p "$(dirname "$file")"
  [ -s "$file" ] || printf 's\tcpu_time\tmax_rss\ttask_cost\n' >"$file"
  # cpu_time, max_rss and task_cost are deterministic per sample and rule.
  printf '%s\t%d.%02d\t%d.%02d\t0.%06d\n' "$s" $((n % 50)) $((n % 100)) \
    $((100 + n % 900)) $((n / 7 % 100)) $((n % 100000)) >>"$file"
}

job_main() { # RULE SAMPLE OOM R1...
  local rule=$1 sample=$2 oom=$3 started=$EPOCHREALTIME r1
  shift 3
  sleep "${URSA_TEST_SLEEP:-2}"
  for r1 in "$@"; do
    [ -s "$r1" ] || { echo "ursa_test_pipeline: input $r1 is missing or empty" >&2; exit 66; }
  done
  if [ "$oom" = 1 ]; then
    echo "slurmstepd: error: Detected 1 oom_kill event in StepId=${SLURM_JOB_ID:-0}.batch." \
      "Some of the step tasks have been OOM Killed." >&2
    exit "$OOM_EXIT"
  fi
  mkdir -p "$RESULTS/$sample"
  write_output "$rule" "$sample" "$(output_of "$rule" "$sample")"
  append_benchmark "$rule" "$sample" "$started"
}

# --- the driver ------------------------------------------------------------------------------

SAMPLES=()
RULES=()
declare -A R1S=()       # sample -> r1 paths, one per line
JOBS=()                 # Slurm job ids this run submitted, in order
declare -A NUMBER=()    # job id -> Snakemake-style job number
declare -A NAME=()      # job id -> rule-sample
FAILED=0
SLEEPER=""

read_units() {
  [ -s "$UNITS" ] || die "$UNITS is missing or empty (run me from the pipeline dir)"
  local header sample unit r1 r2
  { IFS= read -r header; header=${header%$'\r'}
    [ "$header" = "$UNITS_HEADER" ] || die "$UNITS: header must be: ${UNITS_HEADER//$'\t'/<TAB>}"
    while IFS=$'\t' read -r sample unit r1 r2 || [ -n "$sample" ]; do
      [ -n "$sample$unit$r1" ] || continue
      [[ $sample =~ ^[A-Za-z0-9._-]+$ ]] || die "$UNITS: bad sample_id '$sample'"
      [ -n "${R1S[$sample]+set}" ] || SAMPLES+=("$sample")
      R1S[$sample]+="$r1"$'\n'
    done
  } <"$UNITS"
  [ "${#SAMPLES[@]}" -gt 0 ] || die "$UNITS lists no samples"
}

submit() { # RULE SAMPLE OOM DEPENDENCY: prints the job id
  local rule=$1 sample=$2 wrap r1
  local args=(--parsable --chdir="$PWD" --job-name="$rule-$sample"
    --output="logs/slurm/$rule/$rule.$sample.%j.out"
    --error="logs/slurm/$rule/$rule.$sample.%j.err")
  [ -z "$4" ] || args+=(--dependency="afterok:$4")
  wrap="bash $(sq "$SELF") __job $(sq "$rule") $(sq "$sample") $3"
  while IFS= read -r r1; do [ -z "$r1" ] || wrap+=" $(sq "$r1")"; done <<<"${R1S[$sample]}"
  local out
  out=$(sbatch "${args[@]}" --wrap="$wrap") || return 1
  printf '%s' "${out%%;*}" # --parsable prints id[;cluster]
}

submit_all() {
  local sample rule prev oom jid i number=0
  for sample in "${SAMPLES[@]}"; do
    prev=""
    for i in "${!RULES[@]}"; do
      rule=${RULES[$i]}
      [ ! -s "$(output_of "$rule" "$sample")" ] || continue # done in an earlier attempt
      oom=0
      [ "$sample" != "${URSA_TEST_FAIL_SAMPLE:-}" ] || [ "$i" != 0 ] || oom=1
      number=$((number + 1))
      stamp
      printf 'rule %s:\n    jobid: %d\n    wildcards: sample=%s\n' "$rule" "$number" "$sample"
      if ! jid=$(submit "$rule" "$sample" "$oom" "$prev"); then
        echo "Error submitting rule $rule for sample $sample; its later rules are skipped." >&2
        FAILED=1
        break
      fi
      echo "Submitted job $number with external jobid '$jid'."
      JOBS+=("$jid")
      NUMBER[$jid]=$number
      NAME[$jid]="$rule-$sample"
      prev=$jid
    done
  done
}

pause() { # sleep in the background so that a signal is handled at once
  sleep "${URSA_TEST_POLL:-1}" &
  SLEEPER=$!
  wait "$SLEEPER" || true
  SLEEPER=""
}

queue() { # ID...: "id state reason" per job still known to squeue
  local ids out
  ids=$(IFS=,; printf '%s' "$*")
  if out=$(squeue -h -j "$ids" -o '%i %T %r' 2>/dev/null); then
    printf '%s\n' "$out"
    return 0
  fi
  # Every id has left the controller's memory: nothing is queued any more.
  squeue -h -j "$ids" 2>&1 | grep -q 'Invalid job id'
}

job_state() { # ID: the final state, from the controller's memory of finished jobs
  local state
  state=$(scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  printf '%s' "${state:-UNKNOWN}"
}

finished() { # ID
  local jid=$1 state
  state=$(job_state "$jid")
  stamp
  if [ "$state" = COMPLETED ]; then
    DONE=$((DONE + 1))
    echo "Finished job ${NUMBER[$jid]}."
    echo "$DONE of $TOTAL steps ($(((100 * DONE + TOTAL / 2) / TOTAL))%) done"
  else
    FAILED=1
    printf "Error in rule %s:\n    jobid: %s\n    external jobid: '%s'\n    state: %s\n" \
      "${NAME[$jid]%%-*}" "${NUMBER[$jid]}" "$jid" "$state"
  fi
}

watch_jobs() {
  local -A open=()
  local jid id state reason listing misses=0
  for jid in "${JOBS[@]}"; do open[$jid]=1; done
  TOTAL=${#JOBS[@]}
  DONE=0
  while [ "${#open[@]}" -gt 0 ]; do
    if ! listing=$(queue "${!open[@]}"); then
      misses=$((misses + 1))
      [ "$misses" -lt 60 ] || { echo "squeue keeps failing; giving up" >&2; FAILED=1; return; }
      pause
      continue
    fi
    misses=0
    local -A active=()
    while read -r id state reason; do
      [ -n "$id" ] || continue
      active[$id]=1
      if [ "$state" = PENDING ] && [ "$reason" = DependencyNeverSatisfied ]; then
        scancel "$id" 2>/dev/null || true # its upstream job failed: it can never run
      fi
    done <<<"$listing"
    for jid in "${!open[@]}"; do
      [ -z "${active[$jid]:-}" ] || continue
      unset "open[$jid]"
      finished "$jid"
    done
    [ "${#open[@]}" -eq 0 ] || pause
  done
}

write_singleton() {
  local dir="$RESULTS/other_reports" sample rule file s cpu rss cost n
  local out="$dir/rules_benchmark_data_singleton.tsv"
  mkdir -p "$dir"
  {
    printf 'rule\tsample\ts\tcpu_time\ttask_cost\n'
    for sample in "${SAMPLES[@]}"; do
      for rule in "${RULES[@]}"; do
        file="$RESULTS/$sample/benchmarks/$rule.bench.tsv"
        [ -s "$file" ] || continue
        while IFS=$'\t' read -r s cpu rss cost; do
          printf '%s\t%s.\t%s\t%s\t%s\n' "$rule" "$sample" "$s" "$cpu" "$cost"
        done < <(tail -n +2 "$file")
      done
    done
    n=$(checksum "all./report_compile")
    printf 'report_compile\tall.\t0.%04d\t0.%02d\t0.%06d\n' $((n % 10000)) $((n % 100)) $((n % 1000))
  } >"$out.tmp"
  mv "$out.tmp" "$out"
}

on_signal() {
  trap - INT TERM HUP
  [ -z "$SLEEPER" ] || kill "$SLEEPER" 2>/dev/null || true
  echo "ursa_test_pipeline: interrupted; cancelling ${#JOBS[@]} job(s)" >&2
  [ "${#JOBS[@]}" -eq 0 ] || scancel "${JOBS[@]}" 2>/dev/null || true
  exit 130
}

main() {
  read -r -a RULES <<<"${URSA_TEST_RULES:-align call}"
  [ "${#RULES[@]}" -gt 0 ] || die "URSA_TEST_RULES is empty"
  read_units
  rm -f daylily.successful_run daylily.failed_run
  local rule
  for rule in "${RULES[@]}"; do mkdir -p "logs/slurm/$rule"; done
  trap on_signal INT TERM HUP
  echo "Building DAG of jobs..."
  submit_all
  watch_jobs
  write_singleton
  if [ "$FAILED" = 0 ]; then
    [ "$TOTAL" -gt 0 ] || echo "Nothing to be done (all requested files are present and up to date)."
    touch daylily.successful_run
    exit 0
  fi
  touch daylily.failed_run
  echo "Exiting because a job execution failed. Look above for error message"
  exit 1
}

if [ "${1:-}" = __job ]; then
  shift
  job_main "$@"
else
  main "$@"
fi
