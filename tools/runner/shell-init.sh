# Sourced by an episode's first command (see mlgym-exec): the shell MLGym's benchmark runs gave its
# agents, which loaded these aliases (so `ls` marks directories with / and executables with *).
alias ll='ls -alF'
alias la='ls -A'
alias l='ls -CF'
alias ls='ls -F'
