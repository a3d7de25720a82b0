// The print button of the door-plate sheet (no inline handler: the Content-Security-Policy refuses them).
document.getElementById("print").addEventListener("click", function () { window.print(); });
