"""One async function per state change: check permission, write in one transaction,
publish after the commit. HTTP and Socket.IO handlers both call these."""
