"""Interop check with a third-party client: the official Python MCP SDK drives backup-mcp.

Usage: python_client.py PATH_TO_BINARY
       python_client.py --inherit-env [--expect-server ID] COMMAND [ARG...]
Runs initialize, tools/list and tool calls; exits non-zero on any mismatch. The first form starts
`PATH_TO_BINARY serve` in an empty home. The second starts COMMAND ARG... (say `npx -y
backup-mcp@0.1.0 serve` or a wheel's `backup-mcp serve`) with this process's environment, as a
desktop client would, and with --expect-server checks that a server saved by `login` is listed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

EXPECTED_TOOLS = {"system_info", "list_servers", "server_health", "disconnect_server"}


async def main(command: list[str], inherit_env: bool, expect_server: str | None) -> None:
    passed = 4
    with tempfile.TemporaryDirectory() as home:
        if inherit_env:
            env = dict(os.environ)
        else:
            creds = os.path.join(home, "credentials.json")
            # The SDK passes only a minimal environment unless given one explicitly.
            env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "BACKUP_MCP_CREDENTIALS_FILE": creds}
        args = command[1:] if inherit_env else ["serve"]
        params = StdioServerParameters(command=command[0], args=args, env=env)
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                assert init.server_info.name == "backup-mcp", init.server_info
                print(f"initialize: protocol {init.protocol_version}, server {init.server_info.name} {init.server_info.version}")

                tools = await session.list_tools()
                names = {t.name for t in tools.tools}
                missing = EXPECTED_TOOLS - names
                assert not missing, f"missing tools: {missing}"
                assert all(t.output_schema for t in tools.tools), "a tool lacks outputSchema"
                print(f"tools/list: {len(names)} tools")

                info = await session.call_tool("system_info", {})
                assert not info.is_error, info
                data = info.structured_content
                assert data["mode"] == "read_only", data
                assert data["client"]["name"], data
                assert json.loads(info.content[0].text) == data, "text and structured content differ"
                print(f"tools/call system_info: mode={data['mode']} client={data['client']['name']}")

                bad = await session.call_tool("server_health", {"server_id": "ghost"})
                assert bad.is_error, bad
                print("tools/call server_health(ghost): isError as expected")

                if expect_server:
                    listed = await session.call_tool("list_servers", {})
                    assert not listed.is_error, listed
                    text = json.dumps(listed.structured_content)
                    assert expect_server in text, f"{expect_server} not listed: {text}"
                    print(f"tools/call list_servers: {expect_server} listed")
                    passed += 1
    print(f"interop: {passed} passed, 0 failed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--inherit-env", action="store_true")
    parser.add_argument("--expect-server")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    if not opts.command:
        parser.error("a binary (or, with --inherit-env, a command) is required")
    asyncio.run(main(opts.command, opts.inherit_env, opts.expect_server))
