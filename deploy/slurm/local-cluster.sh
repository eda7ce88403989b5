#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, to try a sweep before a real cluster (and what SlurmClusterTests runs the
# shipped sbatch scripts on). Every file it writes lies in one state folder: the munge key and socket, slurm.conf,
# the daemons' pid files, logs and spool. The node is 127.0.0.1 with this machine's real CPUs and memory; the daemons
# bind 127.0.0.1 on free ports from 6917 up (SLURMCTLD_PORT to choose), not Slurm's 6817/6818, and nothing under /etc
# is changed, so a system-wide Slurm or munge is left alone.
#
#   sudo deploy/slurm/local-cluster.sh start /tmp/slurm-local    # prints the line to export
#   export SLURM_CONF=/tmp/slurm-local/slurm.conf
#   sinfo; sbatch ...; squeue
#   sudo deploy/slurm/local-cluster.sh stop /tmp/slurm-local     # cancels every job, stops every daemon it started
#
# Needs root (slurmd starts jobs as their owner) and Debian's packages: apt-get install slurmd slurmctld slurm-client
# munge. Run on Slurm 22.05 (Debian 12); deploy/README.md says what a real cluster needs beyond this one.
set -euo pipefail

script=deploy/slurm/local-cluster.sh

usage() {
    echo "usage: $script start|stop|status <state-folder>, or $script check" >&2
    echo "  start   write the key and slurm.conf, start munged, slurmctld and slurmd; wait until the node is idle" >&2
    echo "  stop    cancel every job, stop the daemons, wait until none is left" >&2
    echo "  status  each daemon's pid (exit 0: all running, 3: none, 1: some), then sinfo and squeue" >&2
    echo "  check   whether a cluster can start here (exit 0), or why not (exit 1)" >&2
    exit 2
}

fail() {
    echo "$script: $*" >&2
    exit 1
}

action=${1:-}
if [[ $action == check && $# -eq 1 ]]; then
    set -- check .
fi
[[ $# -eq 2 ]] || usage
state=$(realpath -m -- "$2")
conf=$state/slurm.conf
munge_dir=$state/munge
socket=$munge_dir/munge.socket
export SLURM_CONF=$conf

# The daemons this script starts, each known by its pid file.
daemons=(munged slurmctld slurmd)
pid_file() {
    case $1 in
        munged) echo "$munge_dir/munged.pid" ;;
        *) echo "$state/$1.pid" ;;
    esac
}

# Whether process $1 runs as the program named $2: not a zombie, and not another program that took a stale pid file's pid.
alive() {
    [[ -r /proc/$1/stat && $(</proc/"$1"/comm) == "$2" ]] 2>/dev/null || return 1
    local stat
    stat=$(</proc/"$1"/stat)
    [[ ${stat##*) } != Z* ]]
}

# The pid in a daemon's pid file, if that daemon still runs.
running_pid() {
    local file pid
    file=$(pid_file "$1")
    [[ -s $file ]] || return 1
    pid=$(<"$file")
    alive "$pid" "$1" && echo "$pid"
}

# A TCP port nothing listens on, from $1 upwards (a connection refused means free).
free_port() {
    local port=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        port=$((port + 1))
    done
    echo "$port"
}

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
    local seconds=$1
    shift
    for ((i = 0; i < seconds * 5; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

show_log() {
    echo "--- last lines of $1:" >&2
    tail -n 20 "$1" >&2 2>/dev/null || echo "(no log)" >&2
}

check_prerequisites() {
    [[ $EUID -eq 0 ]] || fail "must run as root: slurmd starts each job as its owner. Run it with sudo."
    local missing=()
    for command in munged slurmctld slurmd sbatch scontrol; do
        command -v "$command" >/dev/null || missing+=("$command")
    done
    getent passwd munge >/dev/null || missing+=("the munge user")
    [[ ${#missing[@]} -eq 0 ]] ||
        fail "missing ${missing[*]}. Install Debian's packages: apt-get install slurmd slurmctld slurm-client munge"
}

# slurm.conf for one node on 127.0.0.1: the node's real CPUs and memory, every path in the state folder.
write_conf() {
    local host node_hardware ctld_port slurmd_port
    host=$(hostname -s)
    # `slurmd -C` prints this machine as slurmd sees it: NodeName=… CPUs=… Boards=… … RealMemory=…
    node_hardware=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //')
    ctld_port=$(free_port "${SLURMCTLD_PORT:-6917}")
    slurmd_port=$(free_port $((ctld_port + 1)))
    cat >"$conf" <<EOF
# Written by $script start: a one-node cluster on 127.0.0.1, all state in $state.
ClusterName=pipeline-local
SlurmctldHost=$host(127.0.0.1)
# Both daemons bind 127.0.0.1, the address this file gives them, instead of every interface.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A requeued job may start again only once its launch credential has expired: 10 s here instead of 120.
AuthInfo=socket=$socket,cred_expire=10
StateSaveLocation=$state/slurmctld
SlurmdSpoolDir=$state/slurmd
SlurmctldPidFile=$(pid_file slurmctld)
SlurmdPidFile=$(pid_file slurmd)
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
# No cgroups: processes are tracked by parent pid, and tasks are not bound to CPUs.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
# CPUs are what jobs share; memory is not tracked (nothing here could enforce it), so --mem only has to fit the node.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# Schedule every 2 s (not 60 and 30): a requeued job or a freed CPU is picked up at once.
SchedulerParameters=sched_interval=2,bf_interval=2
# The node comes back idle after a restart; finished jobs stay visible to scontrol for a day (there is no accounting
# database, so no sacct); a cancelled job gets 5 s between SIGTERM and SIGKILL.
ReturnToService=2
MinJobAge=86400
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 $node_hardware State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munged() {
    mkdir -p "$munge_dir"
    if [[ ! -s $munge_dir/munge.key ]]; then
        dd if=/dev/urandom of="$munge_dir/munge.key" bs=1024 count=1 status=none
    fi
    chown -R munge:munge "$munge_dir"
    # Clients reach the socket as any user: munged wants the folder open to all (and writable by munge alone).
    chmod 0755 "$munge_dir"
    chmod 0400 "$munge_dir/munge.key"
    runuser -u munge -- test -x "$state" ||
        fail "the munge user cannot enter $state: choose a state folder whose parents others may enter (e.g. under /tmp)."
    runuser -u munge -- munged --socket="$socket" --key-file="$munge_dir/munge.key" --pid-file="$(pid_file munged)" \
        --log-file="$munge_dir/munged.log" --seed-file="$munge_dir/munged.seed" ||
        { show_log "$munge_dir/munged.log"; fail "munged did not start (its log is above)."; }
    wait_for 10 test -S "$socket" || { show_log "$munge_dir/munged.log"; fail "munged never opened $socket."; }
}

node_idle() {
    [[ $(sinfo -h -o %T 2>/dev/null) == idle ]]
}

start() {
    check_prerequisites
    for daemon in "${daemons[@]}"; do
        if pid=$(running_pid "$daemon"); then
            fail "$daemon already runs from $state (pid $pid). Stop it first: $script stop $state"
        fi
    done
    mkdir -p "$state/slurmctld" "$state/slurmd"
    # The munge user needs to reach its socket inside the folder.
    chmod 0755 "$state"
    write_conf
    start_munged
    slurmctld -f "$conf" || { show_log "$state/slurmctld.log"; fail "slurmctld did not start (its log is above)."; }
    slurmd -f "$conf" || { show_log "$state/slurmd.log"; fail "slurmd did not start (its log is above)."; }
    if ! wait_for 60 node_idle; then
        sinfo -N -l >&2 || true
        show_log "$state/slurmctld.log"
        show_log "$state/slurmd.log"
        fail "the node did not become idle within 60 s (the logs are above). Stop it with: $script stop $state"
    fi
    echo "$(sinfo --version): one node ($(hostname -s), 127.0.0.1) up; state in $state"
    echo "export SLURM_CONF=$conf"
}

# Cancels every job and waits for them to end, so that no job's processes outlive the daemons.
cancel_jobs() {
    running_pid slurmctld >/dev/null || return 0
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null || true)
    [[ -z $jobs ]] && return 0
    # shellcheck disable=SC2086 # one job id per word
    scancel $jobs || true
    wait_for 30 no_job_listed || echo "$script: jobs still listed after 30 s: $(squeue -h -o '%A %T' | tr '\n' ' ')" >&2
}

# squeue lists the jobs that have not ended (pending, running, completing).
no_job_listed() {
    [[ -z $(squeue -h -o %A 2>/dev/null) ]]
}

# Kills whatever job process slurmd still tracks (a step its controller lost), by pid.
kill_job_processes() {
    running_pid slurmd >/dev/null || return 0
    local pids
    pids=$(scontrol listpids 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' || true)
    # shellcheck disable=SC2086 # one pid per word
    [[ -n $pids ]] && kill -KILL $pids 2>/dev/null || true
}

not_alive() {
    ! alive "$@"
}

stop_daemon() {
    local pid
    pid=$(running_pid "$1") || return 0
    kill -TERM "$pid"
    wait_for 15 not_alive "$pid" "$1" || kill -KILL "$pid" 2>/dev/null || true
    wait_for 5 not_alive "$pid" "$1" || fail "$1 (pid $pid) did not stop."
}

stop() {
    [[ -d $state ]] || fail "$state: no such folder: nothing was started there."
    cancel_jobs
    kill_job_processes
    stop_daemon slurmd
    stop_daemon slurmctld
    stop_daemon munged
    echo "stopped: no daemon of $state runs"
}

status() {
    local up=0
    for daemon in "${daemons[@]}"; do
        if pid=$(running_pid "$daemon"); then
            echo "$daemon: running (pid $pid)"
            up=$((up + 1))
        else
            echo "$daemon: not running"
        fi
    done
    if [[ $up -eq ${#daemons[@]} ]]; then
        sinfo --version
        sinfo
        squeue
        return 0
    fi
    [[ $up -eq 0 ]] && return 3
    return 1
}

case $action in
    check) check_prerequisites && echo "ready: $(slurmd -V), $(munged --version | cut -d' ' -f1)" ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac
