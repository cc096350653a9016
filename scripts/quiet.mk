# The quiet-output convention of every Makefile of the tree (included by
# each): one line per step, "$(call msg,WHAT,WHICH)"; V=1 shows the commands
# instead; make -s shows neither. Recipes put $(Q) before each command.
ifeq ($(V),1)
Q :=
msg :=
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q := @
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif
